-- Background jobs that must run once per period (a day, an hour) although
-- several instances serve one database: the first instance to insert the
-- row for (job, period) runs the job, every other one finds it and skips.
-- The daily duty reminders insert their row in the same transaction as
-- the mails they queue, so a day's reminders are queued exactly once.
CREATE TABLE scheduled_runs (
    job TEXT NOT NULL,
    period TEXT NOT NULL,
    ran_at BIGINT NOT NULL,
    PRIMARY KEY (job, period)
);
