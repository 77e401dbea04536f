@spec.transport_and_format.message_routing @spec.mod_invoice_reconciliation.sender @checklist.IR-10 @version.2.3.0
Feature: A hub lists a record only to its issuer and its counterparty
  A record concerns the party that issued it and the party it was issued to. The harness's CPO
  identity issues a record for a CDR of a party that cannot exist (country ZZ), leaving the hub to
  route it; the hub's list read by the harness's eMSP identity must not show it.

  @id.invoicereconciliation.sender-shows-own-records @should @role.hub
  Scenario: The eMSP's records list holds no record issued to another party
    Given the harness plays a CPO towards the target's invoicereconciliation Receiver
    When the harness POSTs a new record listing a CDR it issued for an eMSP other than its own, naming no receiver
    Then the hub does not list that record to the harness's eMSP identity
