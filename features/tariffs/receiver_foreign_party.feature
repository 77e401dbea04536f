@spec.transport_and_format.client_owned_objects
Feature: A platform cannot push objects under a party it does not serve
  A client-owned object belongs to the party in its URL. A Receiver may refuse (HTTP 404) an object
  pushed under a country_code/party_id that is not among the roles the pushing platform registered
  with; accepting it would let one platform overwrite another's data. The harness uses the party id
  of its own other identity, so nothing of anyone else is touched.

  @id.tariffs.receiver-foreign-party-refused @should @role.any
  Scenario: A Tariff pushed under the harness's other party id is refused
    Given the harness plays a CPO towards the target's tariffs Receiver
    When the harness PUTs a new Tariff under the party id of its other identity
    Then the PUT is refused
