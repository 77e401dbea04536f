@spec.version_information_endpoint.versions
Feature: The versions list offers OCPI 2.3.0
  The versions endpoint is the one URL handed over out of band. It lists every OCPI version the
  platform speaks, each with the URL of its details; a 2.3.0 platform lists 2.3.0.

  @id.versions.list-offers-2.3.0 @shall @role.any
  Scenario: GET versions returns a list of {version, url} that includes 2.3.0
    Given the harness holds a token the target issued
    When the harness sends GET to the versions endpoint with its current token
    Then every response is a success with a list
    And every version entry has a version and an absolute URL
    And the versions list includes 2.3.0
