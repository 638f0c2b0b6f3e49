//! Domain logic of the KI-Reise, free of I/O.
