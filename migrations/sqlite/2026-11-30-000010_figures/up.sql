-- Oversight's counters of hazards, kept in the same transaction as every change of a finding
-- (sqlite). finding_figures counts, per month reported (Beijing time) and place, the findings not
-- voided, those of them rectified, and those rectified by their deadline; open_finding_figures
-- counts the open findings per place, state and deadline (2999-12-31: none).
CREATE TABLE finding_figures (
    month DATE NOT NULL,
    region_id BIGINT NOT NULL,
    industry_id BIGINT NOT NULL,
    alliance_id BIGINT NOT NULL,
    category TEXT NOT NULL,
    found BIGINT NOT NULL,
    rectified BIGINT NOT NULL,
    on_time BIGINT NOT NULL,
    PRIMARY KEY (month, region_id, industry_id, alliance_id, category)
);
CREATE TABLE open_finding_figures (
    region_id BIGINT NOT NULL,
    industry_id BIGINT NOT NULL,
    alliance_id BIGINT NOT NULL,
    category TEXT NOT NULL,
    grade TEXT NOT NULL,
    state TEXT NOT NULL,
    deadline DATE NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (region_id, industry_id, alliance_id, category, grade, state, deadline)
);
INSERT INTO finding_figures
SELECT date(reported_at, '+8 hours', 'start of month'), region_id, industry_id,
       COALESCE(alliance_id, 0), category, COUNT(*),
       SUM(CASE WHEN state = 'closed' THEN 1 ELSE 0 END),
       SUM(CASE WHEN state = 'closed'
                 AND (deadline IS NULL OR date(closed_at, '+8 hours') <= deadline)
           THEN 1 ELSE 0 END)
FROM findings WHERE state <> 'voided'
GROUP BY 1, 2, 3, 4, 5;
INSERT INTO open_finding_figures
SELECT region_id, industry_id, COALESCE(alliance_id, 0), category, grade, state,
       COALESCE(deadline, '2999-12-31'), COUNT(*)
FROM findings WHERE state IN ('reported', 'rectifying', 'awaiting_review')
GROUP BY 1, 2, 3, 4, 5, 6, 7;
-- Oversight's lists of batches and events by time.
CREATE INDEX inspection_batches_starts ON inspection_batches (starts_on);
CREATE INDEX events_starts ON events (starts_at);
-- Hazards closed lately (the home pages' "closed this week").
CREATE INDEX findings_closed_at ON findings (closed_at);
