-- Where a finding is (its enterprise's region and industry), kept on the finding so that scoped
-- lists filter and sort on one table's indexes instead of joining and sorting every row.
ALTER TABLE findings ADD COLUMN region_id BIGINT NOT NULL DEFAULT 0;
ALTER TABLE findings ADD COLUMN industry_id BIGINT NOT NULL DEFAULT 0;
UPDATE findings SET
    region_id = (SELECT region_id FROM enterprises WHERE enterprises.id = findings.enterprise_id),
    industry_id = (SELECT industry_id FROM enterprises WHERE enterprises.id = findings.enterprise_id);
CREATE INDEX findings_region_reported ON findings (region_id, reported_at);
CREATE INDEX findings_industry_reported ON findings (industry_id, reported_at);
-- An enterprise that moves (region) or is re-classified (industry) takes its findings along.
CREATE FUNCTION enterprises_move_findings() RETURNS trigger AS $$
BEGIN
    UPDATE findings SET region_id = NEW.region_id, industry_id = NEW.industry_id
    WHERE enterprise_id = NEW.id;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER enterprises_move_findings AFTER UPDATE OF region_id, industry_id ON enterprises
    FOR EACH ROW EXECUTE FUNCTION enterprises_move_findings();
