DROP TRIGGER users_access_epoch ON users;
DROP TRIGGER sessions_access_epoch ON sessions;
DROP TRIGGER memberships_access_epoch ON memberships;
DROP TRIGGER alliances_access_epoch ON alliances;
DROP TRIGGER expert_assignments_access_epoch ON expert_assignments;
DROP TRIGGER regions_access_epoch ON regions;
DROP FUNCTION access_epoch_advance();
DROP TABLE access_epoch;
