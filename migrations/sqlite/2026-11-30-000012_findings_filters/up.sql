-- A filtered findings list (a state and a grade, e.g. the reported major hazards) pages and counts
-- on one index instead of reading every finding of the state.
CREATE INDEX findings_state_grade_reported ON findings (state, grade, reported_at);
