-- Push logins (v3 `signInByPush`) share the QR-code logins' table: a login the user approves
-- on their signed-in app. `kind` tells them apart; a push row's id is the SHA-256 digest of
-- the push code handed to the browser, and its user is set from the start. `scope` is the
-- scope the browser asked for, issued when its poll collects the login.
ALTER TABLE qr_logins ADD COLUMN kind TEXT NOT NULL DEFAULT 'qrcode';
ALTER TABLE qr_logins ADD COLUMN scope TEXT;
