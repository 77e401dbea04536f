@spec.types.datetime @spec.transport_and_format.response_format @checklist.T-11
Feature: The envelope timestamp is an OCPI DateTime in UTC
  OCPI timestamps are UTC and written YYYY-MM-DDTHH:MM:SS with optional fractional seconds and an
  optional Z. A numeric offset such as +00:00 is not an OCPI form, even when it means UTC.

  @id.transport.timestamp-format @shall @role.any
  Scenario: Every envelope timestamp uses the OCPI DateTime form
    Given the harness holds a token the target issued
    When the harness sends GET to every GET endpoint with its current token
    Then every envelope timestamp is an OCPI DateTime
