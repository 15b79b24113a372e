-- Bumped by every change to who may call what (users, profiles, region services), inside the
-- changing transaction, whoever makes it (the CLI, another process): running gateways poll it
-- and drop what they cached about callers when it moves (src/soap/directory_version.rs).
CREATE TABLE directory_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT INTO directory_version (id, version) VALUES (1, 0);

CREATE TRIGGER users_insert_bumps_directory AFTER INSERT ON users
BEGIN UPDATE directory_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER users_update_bumps_directory AFTER UPDATE ON users
BEGIN UPDATE directory_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER users_delete_bumps_directory AFTER DELETE ON users
BEGIN UPDATE directory_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER user_profiles_insert_bumps_directory AFTER INSERT ON user_profiles
BEGIN UPDATE directory_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER user_profiles_update_bumps_directory AFTER UPDATE ON user_profiles
BEGIN UPDATE directory_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER user_profiles_delete_bumps_directory AFTER DELETE ON user_profiles
BEGIN UPDATE directory_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER region_services_insert_bumps_directory AFTER INSERT ON region_services
BEGIN UPDATE directory_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER region_services_update_bumps_directory AFTER UPDATE ON region_services
BEGIN UPDATE directory_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER region_services_delete_bumps_directory AFTER DELETE ON region_services
BEGIN UPDATE directory_version SET version = version + 1 WHERE id = 1; END;
