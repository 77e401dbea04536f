@spec.mod_hub_client_info.receiver
Feature: A hub tells connected platforms when a party connects
  When a party connects, the hub creates a ClientInfo for it and pushes it (PUT) to the
  hubclientinfo Receiver of the platforms connected to it. The harness registers its two identities
  one after the other; the one registered first watches its own peer for the ClientInfo of the other.

  @id.routing.clientinfo-pushed @should @role.hub
  Scenario: The identity registered first is told that the second one connected
    Given both of the harness's identities are registered with the hub
    Then the identity registered first receives a ClientInfo PUT for the party registered second
