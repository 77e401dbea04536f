@spec.transport_and_format.pagination @spec.transport_and_format.message_routing @checklist.T-06
Feature: A next-page Link relayed by a hub can be followed by the requester
  A list GET addressed to a party goes through the hub to that party's Sender, and its page comes
  back through the hub. The party's Link to its next page names its own endpoint, which the
  requester cannot call; the Link the requester receives must lead it to the next page. The
  harness's CPO identity serves a small paginated locations Sender (two per page); its eMSP
  identity reads it through the hub and follows the Link it gets. Nothing is written.

  @id.routing.relayed-link-usable @should @role.hub
  Scenario: The eMSP follows the relayed Link of the CPO's locations list to its next page
    Given the harness plays an eMSP towards the target's locations Sender
    When the harness GETs the locations list of its CPO identity through the hub
    Then the relayed page's Link leads the eMSP identity to the CPO's next page
