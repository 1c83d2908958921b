# Local development and tests. Services: scripts/services.sh (PostgreSQL, Redis, S3 on loopback).

.PHONY: run test services-start services-stop services-status

run:
	scripts/run-dev.sh

test:
	scripts/test.sh

services-start:
	scripts/services.sh start

services-stop:
	scripts/services.sh stop

services-status:
	scripts/services.sh status
