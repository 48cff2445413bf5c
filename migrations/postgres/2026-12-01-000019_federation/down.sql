DROP TABLE federation_cells;
DROP TABLE federation_scopes;
DROP TABLE federation_bundles;
DROP TABLE federation_keys;
DROP TABLE federation_districts;
DROP TABLE federation_outgoing;
