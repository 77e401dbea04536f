@spec.transport_and_format.message_routing @checklist.IR-11 @version.2.3.0
Feature: A hub never broadcasts an invoice reconciliation record
  A record is one counterparty's financial data: broadcasting is for data meant for every party.
  A record that names no receiver and lists only CDRs the hub never saw has no counterparty the
  hub can tell; it may be refused or kept, but it must not be sent to parties it does not concern.

  @id.invoicereconciliation.not-broadcast @should @role.hub
  Scenario: A record the hub cannot route reaches no other party
    Given the harness plays a CPO towards the target's invoicereconciliation Receiver
    When the harness POSTs a new record listing only CDRs the hub never saw, naming no receiver
    Then the record reaches none of the harness's other identities
