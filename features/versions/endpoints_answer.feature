@spec.version_information_endpoint.details @spec.transport_and_format.pagination
Feature: The Sender endpoints the target advertises answer
  An endpoint listed in the version details is a promise: a registered partner that sends GET to
  an advertised Sender list gets a successful answer.

  @id.versions.advertised-endpoints-answer @shall @role.any
  Scenario: Every advertised credentials and Sender list URL answers GET with success
    Given the harness is registered with the target
    When the harness sends GET to every advertised endpoint with its credentials token
    Then every response is a success
