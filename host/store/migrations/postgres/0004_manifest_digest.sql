-- The digest of the manifest section that was reviewed when a version was finalized or a bundle
-- uploaded: the host refuses to run the version's bundle if its manifest ever differs. Versions
-- made before manifests were pinned have none, and must be finalized again.
ALTER TABLE integration_versions ADD COLUMN manifest_digest TEXT;
