@spec.credentials.object @spec.transport_and_format.client_owned_objects
Feature: The parties whose objects a platform lists are the parties its Credentials name
  A platform's Credentials roles name the parties it serves (for a hub: the parties reachable
  through it). Every Location, Tariff, Session, CDR or Token it lists carries the country_code and
  party_id of its owner; an owner the Credentials do not name cannot be addressed, routed to or
  trusted by a partner. The harness reads the first page of each such list.

  @id.pagination.owners-named-in-credentials @should @role.any
  Scenario: Every object on a Sender list belongs to a party the target's Credentials name
    Given the harness is registered with the target
    And the target advertises at least one paginated Sender endpoint
    When the harness reads the first page of every Sender list of client-owned objects
    Then every object names a party among the target's Credentials roles, or the harness itself
