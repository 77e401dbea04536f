@spec.version_information_endpoint.versions
Feature: The versions list offers the version under test
  The versions endpoint is the one URL handed over out of band. It lists every OCPI version the
  platform speaks, each with the URL of its details; a platform certified at a version (2.3.0, 2.2.1) lists that version.

  @id.versions.list-offers-version @shall @role.any
  Scenario: GET versions returns a list of {version, url} that includes the version under test
    Given the harness holds a token the target issued
    When the harness sends GET to the versions endpoint with its current token
    Then every response is a success with a list
    And every version entry has a version and an absolute URL
    And the versions list includes the version under test
