CREATE TABLE IF NOT EXISTS "ANALYTICS"."RAW"."orders" ("id" NUMBER(19,0) NOT NULL, "ck" VARCHAR NOT NULL, "a_ascii" VARCHAR, "a_blob" BINARY, "a_bool" BOOLEAN, "a_date" DATE, "a_decimal" VARCHAR, "a_double" FLOAT, "a_duration" VARCHAR, "a_float" FLOAT, "a_inet" VARCHAR, "a_int" NUMBER(10,0), "a_list" VARIANT, "a_map" VARIANT, "a_set" VARIANT, "a_smallint" NUMBER(5,0), "a_time" VARCHAR, "a_timestamp" TIMESTAMP_TZ(3), "a_timeuuid" VARCHAR(36), "a_tinyint" NUMBER(3,0), "a_tuple" VARIANT, "a_udt" VARIANT, "a_uuid" VARCHAR(36), "a_varint" NUMBER(38,0), "a_vector" VARIANT, "Odd ""Name""" VARCHAR, "_writetime" VARIANT, "_ttl" VARIANT, PRIMARY KEY ("id", "ck")) COMMENT = 'lading incarnation 0123456789abcdef';

CREATE STAGE IF NOT EXISTS "ANALYTICS"."RAW"."LADING_DUMPS" URL = 's3://dumps/prod/' STORAGE_INTEGRATION = "S3_INT";

CREATE TEMPORARY STAGE IF NOT EXISTS "ANALYTICS"."RAW"."LADING_PUT_1";

PUT 'file:///tmp/lading-put-1/part-0002-0-000001.ndjson.zst' @"ANALYTICS"."RAW"."LADING_PUT_1" AUTO_COMPRESS = FALSE OVERWRITE = TRUE;

COPY INTO "ANALYTICS"."RAW"."orders" ("id", "ck", "a_ascii", "a_blob", "a_bool", "a_date", "a_decimal", "a_double", "a_duration", "a_float", "a_inet", "a_int", "a_list", "a_map", "a_set", "a_smallint", "a_time", "a_timestamp", "a_timeuuid", "a_tinyint", "a_tuple", "a_udt", "a_uuid", "a_varint", "a_vector", "Odd ""Name""", "_writetime", "_ttl") FROM (SELECT $1:"id"::NUMBER(19,0), $1:"ck"::VARCHAR, $1:"a_ascii"::VARCHAR, TO_BINARY(SUBSTR($1:"a_blob"::VARCHAR, 3), 'HEX'), $1:"a_bool"::BOOLEAN, TO_DATE($1:"a_date"::VARCHAR), $1:"a_decimal"::VARCHAR, $1:"a_double"::FLOAT, $1:"a_duration"::VARCHAR, $1:"a_float"::FLOAT, $1:"a_inet"::VARCHAR, $1:"a_int"::NUMBER(10,0), $1:"a_list", $1:"a_map", $1:"a_set", $1:"a_smallint"::NUMBER(5,0), $1:"a_time"::VARCHAR, $1:"a_timestamp"::VARCHAR::TIMESTAMP_TZ(3), $1:"a_timeuuid"::VARCHAR(36), $1:"a_tinyint"::NUMBER(3,0), $1:"a_tuple", $1:"a_udt", $1:"a_uuid"::VARCHAR(36), $1:"a_varint"::NUMBER(38,0), $1:"a_vector", $1:"Odd ""Name"""::VARCHAR, $1:"_writetime", $1:"_ttl" FROM @"ANALYTICS"."RAW"."LADING_DUMPS"/prod/shop.orders/20261201T000000Z/) FILES = ('part-0001-0-000001.ndjson.zst', 'it''s.ndjson.zst') FILE_FORMAT = (TYPE = JSON COMPRESSION = ZSTD) ON_ERROR = ABORT_STATEMENT FORCE = TRUE;

CREATE OR REPLACE TRANSIENT TABLE "ANALYTICS"."RAW"."orders__lading_stage" LIKE "ANALYTICS"."RAW"."orders";

COPY INTO "ANALYTICS"."RAW"."orders__lading_stage" ("id", "ck", "a_ascii", "a_blob", "a_bool", "a_date", "a_decimal", "a_double", "a_duration", "a_float", "a_inet", "a_int", "a_list", "a_map", "a_set", "a_smallint", "a_time", "a_timestamp", "a_timeuuid", "a_tinyint", "a_tuple", "a_udt", "a_uuid", "a_varint", "a_vector", "Odd ""Name""", "_writetime", "_ttl") FROM (SELECT $1:"id"::NUMBER(19,0), $1:"ck"::VARCHAR, $1:"a_ascii"::VARCHAR, TO_BINARY(SUBSTR($1:"a_blob"::VARCHAR, 3), 'HEX'), $1:"a_bool"::BOOLEAN, TO_DATE($1:"a_date"::VARCHAR), $1:"a_decimal"::VARCHAR, $1:"a_double"::FLOAT, $1:"a_duration"::VARCHAR, $1:"a_float"::FLOAT, $1:"a_inet"::VARCHAR, $1:"a_int"::NUMBER(10,0), $1:"a_list", $1:"a_map", $1:"a_set", $1:"a_smallint"::NUMBER(5,0), $1:"a_time"::VARCHAR, $1:"a_timestamp"::VARCHAR::TIMESTAMP_TZ(3), $1:"a_timeuuid"::VARCHAR(36), $1:"a_tinyint"::NUMBER(3,0), $1:"a_tuple", $1:"a_udt", $1:"a_uuid"::VARCHAR(36), $1:"a_varint"::NUMBER(38,0), $1:"a_vector", $1:"Odd ""Name"""::VARCHAR, $1:"_writetime", $1:"_ttl" FROM @"ANALYTICS"."RAW"."LADING_PUT_1") FILES = ('part-0002-0-000001.ndjson.zst') FILE_FORMAT = (TYPE = JSON COMPRESSION = ZSTD) ON_ERROR = CONTINUE FORCE = TRUE;

MERGE INTO "ANALYTICS"."RAW"."orders" AS t USING "ANALYTICS"."RAW"."orders__lading_stage" AS s ON t."id" = s."id" AND t."ck" = s."ck" WHEN MATCHED THEN UPDATE SET t."a_ascii" = s."a_ascii", t."a_blob" = s."a_blob", t."a_bool" = s."a_bool", t."a_date" = s."a_date", t."a_decimal" = s."a_decimal", t."a_double" = s."a_double", t."a_duration" = s."a_duration", t."a_float" = s."a_float", t."a_inet" = s."a_inet", t."a_int" = s."a_int", t."a_list" = s."a_list", t."a_map" = s."a_map", t."a_set" = s."a_set", t."a_smallint" = s."a_smallint", t."a_time" = s."a_time", t."a_timestamp" = s."a_timestamp", t."a_timeuuid" = s."a_timeuuid", t."a_tinyint" = s."a_tinyint", t."a_tuple" = s."a_tuple", t."a_udt" = s."a_udt", t."a_uuid" = s."a_uuid", t."a_varint" = s."a_varint", t."a_vector" = s."a_vector", t."Odd ""Name""" = s."Odd ""Name""", t."_writetime" = s."_writetime", t."_ttl" = s."_ttl" WHEN NOT MATCHED THEN INSERT ("id", "ck", "a_ascii", "a_blob", "a_bool", "a_date", "a_decimal", "a_double", "a_duration", "a_float", "a_inet", "a_int", "a_list", "a_map", "a_set", "a_smallint", "a_time", "a_timestamp", "a_timeuuid", "a_tinyint", "a_tuple", "a_udt", "a_uuid", "a_varint", "a_vector", "Odd ""Name""", "_writetime", "_ttl") VALUES (s."id", s."ck", s."a_ascii", s."a_blob", s."a_bool", s."a_date", s."a_decimal", s."a_double", s."a_duration", s."a_float", s."a_inet", s."a_int", s."a_list", s."a_map", s."a_set", s."a_smallint", s."a_time", s."a_timestamp", s."a_timeuuid", s."a_tinyint", s."a_tuple", s."a_udt", s."a_uuid", s."a_varint", s."a_vector", s."Odd ""Name""", s."_writetime", s."_ttl");

DROP TABLE IF EXISTS "ANALYTICS"."RAW"."orders__lading_stage";

SELECT COUNT(*) FROM "ANALYTICS"."RAW"."orders";

CREATE TABLE IF NOT EXISTS "ANALYTICS"."RAW"."orders__lading_new_2b203d3db5f4" ("id" NUMBER(19,0) NOT NULL, "ck" VARCHAR NOT NULL, "a_ascii" VARCHAR, "a_blob" BINARY, "a_bool" BOOLEAN, "a_date" DATE, "a_decimal" VARCHAR, "a_double" FLOAT, "a_duration" VARCHAR, "a_float" FLOAT, "a_inet" VARCHAR, "a_int" NUMBER(10,0), "a_list" VARIANT, "a_map" VARIANT, "a_set" VARIANT, "a_smallint" NUMBER(5,0), "a_time" VARCHAR, "a_timestamp" TIMESTAMP_TZ(3), "a_timeuuid" VARCHAR(36), "a_tinyint" NUMBER(3,0), "a_tuple" VARIANT, "a_udt" VARIANT, "a_uuid" VARCHAR(36), "a_varint" NUMBER(38,0), "a_vector" VARIANT, "Odd ""Name""" VARCHAR, "_writetime" VARIANT, "_ttl" VARIANT, PRIMARY KEY ("id", "ck")) COMMENT = 'lading incarnation 0123456789abcdef load 2b203d3db5f4';

ALTER TABLE "ANALYTICS"."RAW"."orders" SWAP WITH "ANALYTICS"."RAW"."orders__lading_new_2b203d3db5f4";

DROP TABLE IF EXISTS "ANALYTICS"."RAW"."orders__lading_new_2b203d3db5f4";

SELECT TABLE_NAME FROM "ANALYTICS".INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME LIKE ?;

SELECT QUERY_ID FROM TABLE("ANALYTICS".INFORMATION_SCHEMA.QUERY_HISTORY(RESULT_LIMIT => 10000)) WHERE QUERY_TAG = 'lading load 0123456789ab' AND EXECUTION_STATUS IN ('RUNNING', 'QUEUED', 'RESUMING_WAREHOUSE', 'BLOCKED');

SELECT SYSTEM$CANCEL_QUERY('01b8f0a2-0000-1111-0000-000000000001');

ALTER SESSION SET QUERY_TAG = 'lading load 0123456789ab';

CREATE TEMPORARY TABLE IF NOT EXISTS "LADING_ROWS_1" ("part" VARCHAR, "line" NUMBER(19,0), "doc" VARCHAR);

TRUNCATE TABLE "LADING_ROWS_1";

INSERT INTO "LADING_ROWS_1" ("part", "line", "doc") VALUES (?, ?, ?);

INSERT INTO "ANALYTICS"."RAW"."orders" ("id", "ck", "a_ascii", "a_blob", "a_bool", "a_date", "a_decimal", "a_double", "a_duration", "a_float", "a_inet", "a_int", "a_list", "a_map", "a_set", "a_smallint", "a_time", "a_timestamp", "a_timeuuid", "a_tinyint", "a_tuple", "a_udt", "a_uuid", "a_varint", "a_vector", "Odd ""Name""", "_writetime", "_ttl") SELECT v:"id"::NUMBER(19,0), v:"ck"::VARCHAR, v:"a_ascii"::VARCHAR, TO_BINARY(SUBSTR(v:"a_blob"::VARCHAR, 3), 'HEX'), v:"a_bool"::BOOLEAN, TO_DATE(v:"a_date"::VARCHAR), v:"a_decimal"::VARCHAR, v:"a_double"::FLOAT, v:"a_duration"::VARCHAR, v:"a_float"::FLOAT, v:"a_inet"::VARCHAR, v:"a_int"::NUMBER(10,0), v:"a_list", v:"a_map", v:"a_set", v:"a_smallint"::NUMBER(5,0), v:"a_time"::VARCHAR, v:"a_timestamp"::VARCHAR::TIMESTAMP_TZ(3), v:"a_timeuuid"::VARCHAR(36), v:"a_tinyint"::NUMBER(3,0), v:"a_tuple", v:"a_udt", v:"a_uuid"::VARCHAR(36), v:"a_varint"::NUMBER(38,0), v:"a_vector", v:"Odd ""Name"""::VARCHAR, v:"_writetime", v:"_ttl" FROM (SELECT PARSE_JSON("doc") AS v FROM "LADING_ROWS_1");

SELECT v:"id"::NUMBER(19,0), v:"ck"::VARCHAR, v:"a_ascii"::VARCHAR, TO_BINARY(SUBSTR(v:"a_blob"::VARCHAR, 3), 'HEX'), v:"a_bool"::BOOLEAN, TO_DATE(v:"a_date"::VARCHAR), v:"a_decimal"::VARCHAR, v:"a_double"::FLOAT, v:"a_duration"::VARCHAR, v:"a_float"::FLOAT, v:"a_inet"::VARCHAR, v:"a_int"::NUMBER(10,0), v:"a_list", v:"a_map", v:"a_set", v:"a_smallint"::NUMBER(5,0), v:"a_time"::VARCHAR, v:"a_timestamp"::VARCHAR::TIMESTAMP_TZ(3), v:"a_timeuuid"::VARCHAR(36), v:"a_tinyint"::NUMBER(3,0), v:"a_tuple", v:"a_udt", v:"a_uuid"::VARCHAR(36), v:"a_varint"::NUMBER(38,0), v:"a_vector", v:"Odd ""Name"""::VARCHAR, v:"_writetime", v:"_ttl" FROM (SELECT PARSE_JSON("doc") AS v FROM "LADING_ROWS_1" WHERE "part" = ? AND "line" = ?);

DELETE FROM "LADING_ROWS_1" WHERE "part" = ? AND "line" = ?;
