@spec.transport_and_format.message_routing @checklist.T-05
Feature: Configuration modules carry no routing headers
  Versions, credentials and hubclientinfo are exchanged platform to platform and never routed, so
  their messages must not carry OCPI-to-* or OCPI-from-* headers.

  @id.transport.no-routing-headers-on-configuration @shall @role.any
  Scenario: Versions, credentials and hubclientinfo responses have no OCPI-to/from headers
    Given the harness holds a token the target issued
    When the harness sends GET to every configuration endpoint with its current token
    Then no response carries OCPI routing headers
