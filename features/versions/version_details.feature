@spec.version_information_endpoint.details
Feature: The 2.3.0 details list the platform's endpoints
  The details of a version name that version and list its endpoints: each has a module
  identifier, an interface role SENDER or RECEIVER and a URL. Module identifiers are an open
  list, so identifiers the harness does not know are noted, not failed.

  @id.versions.details-endpoints @shall @role.any
  Scenario: GET 2.3.0 details returns version 2.3.0 and well-formed endpoints
    Given the harness holds a token the target issued
    When the harness sends GET to the version details endpoint with its current token
    Then every response is a success with an object
    And the details name version 2.3.0
    And every endpoint has an identifier, a role SENDER or RECEIVER and an absolute URL
    And the credentials module is listed
