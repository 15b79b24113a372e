-- Every write now parses profile names and region/ASL codes, and the store reads a value that
-- does not parse as corruption. Earlier CLIs stored `users add --profile/--region/--asl` as
-- typed: make those rows say what they always meant. A profile name no operation knows granted
-- nothing; a region or ASL code that is not 3 digits (after trimming) matched no registry row.
DELETE FROM user_profiles
 WHERE profile NOT IN ('Invio codice OTP', 'Sierologici MMG', 'ASL Numero test');
UPDATE users SET region = btrim(region) WHERE region IS NOT NULL AND region <> btrim(region);
UPDATE users SET asl = btrim(asl) WHERE asl IS NOT NULL AND asl <> btrim(asl);
UPDATE users SET region = NULL WHERE region IS NOT NULL AND region !~ '^[0-9]{3}$';
UPDATE users SET asl = NULL WHERE asl IS NOT NULL AND asl !~ '^[0-9]{3}$';
