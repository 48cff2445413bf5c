ALTER TABLE enterprises DROP COLUMN closed_on;
DROP INDEX industries_name;
DROP INDEX regions_name;
