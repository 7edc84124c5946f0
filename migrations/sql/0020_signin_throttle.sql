-- Sign-in throttled, never locked (issue 23): five wrong passwords from
-- anywhere no longer lock an account. Failures are counted per account and
-- client address together (a guesser slows down only their own attempts on
-- that account), per address across accounts (spraying), and per account
-- across addresses (users.failed_logins, a distributed attack), each with
-- the time of its last failure; wellcheck.SignInPolicy decides from them,
-- on the service's clock. Every node reads the same counts.
CREATE TABLE login_failures (
    user_id        bigint NOT NULL REFERENCES users (id),
    addr           text NOT NULL, -- an IPv4 address, or an IPv6 /64
    failures       integer NOT NULL CHECK (failures > 0),
    last_failed_at timestamptz NOT NULL,
    PRIMARY KEY (user_id, addr)
);
CREATE INDEX login_failures_last_idx ON login_failures (last_failed_at);

CREATE TABLE login_address_failures (
    addr           text PRIMARY KEY,
    failures       integer NOT NULL CHECK (failures > 0),
    last_failed_at timestamptz NOT NULL
);
CREATE INDEX login_address_failures_last_idx ON login_address_failures (last_failed_at);

-- failed_logins now counts an account's failures from every address, until
-- an hour passes without one (last_failed_login_at); nothing locks any more.
ALTER TABLE users DROP COLUMN locked_until;
ALTER TABLE users ADD COLUMN last_failed_login_at timestamptz;
UPDATE users SET failed_logins = 0;
