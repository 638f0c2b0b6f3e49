-- Accounts signed in from the directory (LDAP / Active Directory). The
-- login name is the stable link to the directory entry: the DN changes when
-- someone moves to another OU, the login does not. `directory_gaps` lists
-- what the directory did not say (no e-mail, no matching department), one
-- German sentence per line, for the administration to see and fix.
ALTER TABLE users ADD COLUMN directory_login TEXT;
ALTER TABLE users ADD COLUMN directory_gaps TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX users_directory_login ON users (directory_login);
