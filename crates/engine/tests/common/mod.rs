pub use engine::test_support::test_model;
