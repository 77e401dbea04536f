@spec.version_information_endpoint.details
Feature: The details of the version under test list the platform's endpoints
  The details of a version name that version and list its endpoints: each has a module
  identifier, an interface role SENDER or RECEIVER and a URL. Module identifiers are an open
  list, so identifiers the harness does not know are noted, not failed.

  @id.versions.details-endpoints @shall @role.any
  Scenario: GET the details of the version under test returns that version and well-formed endpoints
    Given the harness holds a token the target issued
    When the harness sends GET to the version details endpoint with its current token
    Then every response is a success with an object
    And the details name the version under test
    And every endpoint has an identifier, a role SENDER or RECEIVER and an absolute URL
    And the credentials module is listed
