// Not every test file uses everything here.
#![allow(unused_imports)]

pub use engine::test_support::test_model;
