DROP TABLE evaluations;
DROP TABLE evaluation_settings;
