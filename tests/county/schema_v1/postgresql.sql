-- The hub schema as the first release created it on postgresql (metadata.create_all()),
-- frozen for tests/county/test_migrations.py: never edit.

CREATE TABLE applications (
	seq BIGSERIAL NOT NULL,
	uuid VARCHAR(36) NOT NULL,
	tracking_no VARCHAR(80) NOT NULL,
	station VARCHAR(32) NOT NULL,
	device_id VARCHAR(40) NOT NULL,
	batch_id VARCHAR(36) NOT NULL,
	service_code VARCHAR(64) NOT NULL,
	catalog_version INTEGER NOT NULL,
	resident_id VARCHAR(32) NOT NULL,
	resident_name VARCHAR(100) NOT NULL,
	record TEXT NOT NULL,
	created_at VARCHAR(40) NOT NULL,
	received_at VARCHAR(40) NOT NULL,
	status VARCHAR(16) NOT NULL,
	status_note TEXT,
	decided_at VARCHAR(40),
	PRIMARY KEY (seq),
	UNIQUE (uuid),
	UNIQUE (tracking_no)
);

CREATE INDEX ix_applications_received ON applications (received_at);

CREATE INDEX ix_applications_station ON applications (station, seq);

CREATE TABLE blobs (
	sha256 VARCHAR(64) NOT NULL,
	size BIGINT NOT NULL,
	complete BOOLEAN NOT NULL,
	started_at VARCHAR(40) NOT NULL,
	completed_at VARCHAR(40),
	PRIMARY KEY (sha256)
);

CREATE TABLE catalogs (
	version INTEGER NOT NULL,
	body TEXT NOT NULL,
	published_at VARCHAR(40) NOT NULL,
	PRIMARY KEY (version)
);

CREATE TABLE hub_schema_version (
	version INTEGER NOT NULL,
	applied_at VARCHAR(40) NOT NULL,
	PRIMARY KEY (version)
);

CREATE TABLE staff (
	staff_id BIGSERIAL NOT NULL,
	name VARCHAR(100) NOT NULL,
	key_hash VARCHAR(64) NOT NULL,
	created_at VARCHAR(40) NOT NULL,
	revoked_at VARCHAR(40),
	PRIMARY KEY (staff_id),
	UNIQUE (key_hash)
);

CREATE TABLE stations (
	code VARCHAR(32) NOT NULL,
	name VARCHAR(100) NOT NULL,
	created_at VARCHAR(40) NOT NULL,
	PRIMARY KEY (code)
);

CREATE TABLE attachments (
	app_uuid VARCHAR(36) NOT NULL,
	position INTEGER NOT NULL,
	field VARCHAR(64) NOT NULL,
	sha256 VARCHAR(64) NOT NULL,
	size BIGINT NOT NULL,
	mime VARCHAR(100) NOT NULL,
	filename VARCHAR(200) NOT NULL,
	station VARCHAR(32) NOT NULL,
	PRIMARY KEY (app_uuid, position),
	FOREIGN KEY(app_uuid) REFERENCES applications (uuid)
);

CREATE INDEX ix_attachments_sha ON attachments (sha256, station);

CREATE TABLE decisions (
	seq BIGSERIAL NOT NULL,
	app_uuid VARCHAR(36) NOT NULL,
	tracking_no VARCHAR(80) NOT NULL,
	station VARCHAR(32) NOT NULL,
	status VARCHAR(16) NOT NULL,
	note TEXT,
	staff VARCHAR(100) NOT NULL,
	decided_at VARCHAR(40) NOT NULL,
	PRIMARY KEY (seq),
	FOREIGN KEY(app_uuid) REFERENCES applications (uuid)
);

CREATE INDEX ix_decisions_station ON decisions (station, seq);

CREATE TABLE devices (
	device_id VARCHAR(40) NOT NULL,
	station VARCHAR(32) NOT NULL,
	name VARCHAR(100) NOT NULL,
	token_hash VARCHAR(64) NOT NULL,
	enrolled_at VARCHAR(40) NOT NULL,
	revoked_at VARCHAR(40),
	last_seen_at VARCHAR(40),
	PRIMARY KEY (device_id),
	FOREIGN KEY(station) REFERENCES stations (code),
	UNIQUE (token_hash)
);

CREATE TABLE enroll_codes (
	code_hash VARCHAR(64) NOT NULL,
	station VARCHAR(32) NOT NULL,
	created_at VARCHAR(40) NOT NULL,
	expires_at VARCHAR(40) NOT NULL,
	used_at VARCHAR(40),
	revoked_at VARCHAR(40),
	PRIMARY KEY (code_hash),
	FOREIGN KEY(station) REFERENCES stations (code)
);
