-- The registry kept current: streets, zones and industries are matched by name on import, so
-- their names are unique like their codes; an enterprise that closes keeps its row and history
-- with the day it closed (null while it operates).
CREATE UNIQUE INDEX regions_name ON regions (name);
CREATE UNIQUE INDEX industries_name ON industries (name);
ALTER TABLE enterprises ADD COLUMN closed_on DATE;
