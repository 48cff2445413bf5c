DROP TRIGGER enterprises_move_findings ON enterprises;
DROP FUNCTION enterprises_move_findings();
DROP INDEX findings_industry_reported;
DROP INDEX findings_region_reported;
ALTER TABLE findings DROP COLUMN industry_id;
ALTER TABLE findings DROP COLUMN region_id;
