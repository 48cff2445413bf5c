-- What is to be sent out of the platform (mail, group-robot posts), written in the transaction of
-- the change that causes it and delivered by the outbox worker with retries.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    -- mail | webhook
    channel TEXT NOT NULL,
    -- The person (mail) or the robot (webhook) it goes to, and where (address, URL) when queued.
    user_id BIGINT REFERENCES users (id),
    webhook_id BIGINT,
    recipient TEXT NOT NULL,
    -- What to say: a notify::Kind (or digest), its subject, link, date and note; a digest lists
    -- the notifications it gathers in items (comma-separated ids).
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    link TEXT NOT NULL,
    due_on DATE,
    note TEXT NOT NULL,
    items TEXT NOT NULL DEFAULT '',
    -- pending | sent | failed
    state TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    -- The worker delivering it, until when (another may take it after).
    leased_by TEXT NOT NULL DEFAULT '',
    leased_until TIMESTAMP,
    last_error TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
CREATE INDEX outbox_newest ON outbox (id);

-- How each person wants to be told by mail.
CREATE TABLE notification_prefs (
    user_id BIGINT PRIMARY KEY REFERENCES users (id),
    -- zh-CN | en
    language TEXT NOT NULL,
    -- One mail a day gathering the messages that may wait, instead of one mail each.
    digest BOOLEAN NOT NULL,
    -- The kinds (comma-separated) not to be mailed about; mandatory ones are never muted.
    muted TEXT NOT NULL,
    -- The last message a digest gathered.
    digest_upto BIGINT NOT NULL DEFAULT 0,
    updated_at TIMESTAMP NOT NULL
);

-- The deadline ladder per hazard grade, set by a district regulator.
CREATE TABLE deadline_ladder (
    grade TEXT PRIMARY KEY,
    -- A reminder this many days before the deadline (0: none but the deadline day's).
    remind_days INTEGER NOT NULL,
    -- Overdue this many days more: the street regulators are told.
    escalate_days INTEGER NOT NULL,
    updated_by BIGINT REFERENCES users (id),
    updated_at TIMESTAMP NOT NULL
);
INSERT INTO deadline_ladder (grade, remind_days, escalate_days, updated_at)
    VALUES ('general', 3, 3, CURRENT_TIMESTAMP), ('major', 7, 1, CURRENT_TIMESTAMP);

-- Every reminder and escalation the scheduler sent, once each: its key makes catching up after
-- downtime (or two instances ticking at once) send nothing twice. Rungs of a finding show on
-- its timeline.
CREATE TABLE reminders (
    key TEXT PRIMARY KEY,
    finding_id BIGINT REFERENCES findings (id),
    event_id BIGINT REFERENCES events (id),
    rung TEXT NOT NULL,
    day DATE NOT NULL,
    told INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX reminders_finding ON reminders (finding_id);

-- Group robots (企业微信 / 钉钉) of an alliance or a region, told of overdue and major hazards.
CREATE TABLE webhooks (
    id INTEGER PRIMARY KEY,
    alliance_id BIGINT REFERENCES alliances (id),
    region_id BIGINT REFERENCES regions (id),
    -- wecom | dingtalk
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    url TEXT NOT NULL,
    -- The robot's signing secret (DingTalk 加签), or empty.
    secret TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL
);

-- The platform's calendar moved (days), when the clock is settable (trials, acceptance tests):
-- kept here so that every instance, and a restarted one, reckons the same day.
CREATE TABLE platform_clock (
    id INTEGER PRIMARY KEY,
    days_moved BIGINT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- Whether a message was mailed at once (a digest gathers only the others).
ALTER TABLE notifications ADD COLUMN mailed BOOLEAN NOT NULL DEFAULT FALSE;
