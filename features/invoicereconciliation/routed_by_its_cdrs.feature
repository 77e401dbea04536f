@spec.transport_and_format.message_routing @spec.mod_invoice_reconciliation.receiver @checklist.IR-11 @version.2.3.0
Feature: A hub routes a record that names no receiver to the party its CDRs went to
  A record names no receiver: in direct billing its counterparty is the eMSP its issuer's CDRs
  went to, which a hub that routed those CDRs knows. The harness's CPO identity POSTs a CDR for
  the harness's eMSP identity, then a record listing it without OCPI-to-*.

  @id.invoicereconciliation.routed-by-its-cdrs @should @role.hub
  Scenario: A record of a CDR the hub delivered to the eMSP reaches that eMSP
    Given the harness plays a CPO towards the target's invoicereconciliation Receiver
    When the harness POSTs a CDR for its eMSP identity, then a new record listing it, naming no receiver
    Then the record reaches the harness's eMSP identity, from the CPO identity
