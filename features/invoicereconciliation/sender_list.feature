@spec.mod_invoice_reconciliation.sender @spec.transport_and_format.pagination @checklist.IR-09 @version.2.3.0
Feature: The Invoice Reconciliation Sender lists records that match the data model
  The counterparty of an invoice pulls the records from the issuer's Sender list, filtered on
  last_updated and paged. The harness reads, as its eMSP identity, every page since an hour ago,
  two records at a time (its CPO identity first issues one to it, when it may write).

  @id.invoicereconciliation.sender-list @shall @role.any
  Scenario: Every page of the records list matches openapi.yaml
    Given the harness plays an eMSP towards the target's invoicereconciliation Sender
    And the harness's CPO identity has issued an invoice reconciliation record to its eMSP identity
    When the harness reads every page of the invoice reconciliation list since an hour ago
    Then every page answers records that match openapi.yaml
