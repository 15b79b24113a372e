-- Bumped by every change to who may call what (users, profiles, region services), inside the
-- changing transaction, whoever makes it (the CLI, another instance): running gateways poll it
-- and drop what they cached about callers when it moves (src/soap/directory_version.rs).
CREATE TABLE directory_version (
    id      SMALLINT PRIMARY KEY CHECK (id = 1),
    version BIGINT   NOT NULL
);
INSERT INTO directory_version (id, version) VALUES (1, 0);

CREATE FUNCTION tsgate_bump_directory_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE directory_version SET version = version + 1 WHERE id = 1;
    RETURN NULL;
END
$$;

CREATE TRIGGER users_bump_directory
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION tsgate_bump_directory_version();
CREATE TRIGGER user_profiles_bump_directory
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON user_profiles
    FOR EACH STATEMENT EXECUTE FUNCTION tsgate_bump_directory_version();
CREATE TRIGGER region_services_bump_directory
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON region_services
    FOR EACH STATEMENT EXECUTE FUNCTION tsgate_bump_directory_version();
