//! Nachnutzung: exporting this instance's content as a bundle for other
//! municipalities and importing theirs (check first, then take over).

pub mod page;
pub mod upload;
