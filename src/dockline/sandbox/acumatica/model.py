"""The Default 22.200.001 endpoint's entities, field by field, as Acumatica's official client declares them.

Source: the public repository Acumatica/AcumaticaRESTAPIClientForCSharp at commit
801a50bee9b46f0aebe3801f0f91b68997e0ceb4, folder `Acumatica.Default_22.200.001/Model/`: one
`<Entity>.cs` per entity below (SalesOrder.cs, SalesOrderDetail.cs, ..., ShipToSettings.cs), each
field being the `Name` of a `[DataMember]` there, with its C# type (`StringValue` -> `String`,
`List<X>` -> `[X]`, any other class -> a linked entity). The system fields every entity carries come
from `Acumatica.RESTClient.ContractBasedApi/Model/EntityBase/Entity.cs` in the same commit.

The sandbox builds its records, its answers and its checks of `$filter`, `$select` and `$expand`
from these lists, so a field name a real instance does not have cannot pass a test. Entities only
named here as a type (Commissions, Totals, TaxDetail, ...) are never filled by the sandbox.
"""
from __future__ import annotations

SOURCE = ("Acumatica/AcumaticaRESTAPIClientForCSharp@801a50bee9b46f0aebe3801f0f91b68997e0ceb4:"
          "Acumatica.Default_22.200.001/Model/")
SYSTEM_FIELDS = frozenset({"id", "rowNumber", "note", "custom", "files", "_links", "error", "delete"})
SCALARS = frozenset({"String", "Boolean", "DateTime", "Decimal", "Guid", "Int", "Short", "Long", "Double", "Byte"})


def _fields(text: str) -> dict[str, str]:
    return dict(item.split(":") for item in text.split())


ENTITIES: dict[str, dict[str, str]] = {
    "SalesOrder": _fields("""
        Approved:Boolean BaseCurrencyID:String BillToAddress:Address BillToAddressOverride:Boolean
        BillToAddressValidated:Boolean BillToContact:DocContact BillToContactOverride:Boolean CashAccount:String
        Commissions:Commissions ContactID:String ControlTotal:Decimal CreditHold:Boolean CurrencyID:String
        CurrencyRate:Decimal CurrencyRateTypeID:String CustomerID:String CustomerOrder:String Date:DateTime
        Description:String DestinationWarehouseID:String Details:[SalesOrderDetail]
        DisableAutomaticDiscountUpdate:Boolean DiscountDetails:[SalesOrdersDiscountDetails]
        EffectiveDate:DateTime ExternalRef:String FinancialSettings:FinancialSettings Hold:Boolean
        IsTaxValid:Boolean LastModified:DateTime LocationID:String OrderedQty:Decimal OrderNbr:String
        OrderTotal:Decimal OrderType:String PaymentMethod:String Payments:[SalesOrderPayment]
        PreferredWarehouseID:String Project:String ReciprocalRate:Decimal RequestedOn:DateTime
        Shipments:[SalesOrderShipment] ShippingSettings:ShippingSettings ShipToAddress:Address
        ShipToAddressOverride:Boolean ShipToAddressValidated:Boolean ShipToContact:DocContact
        ShipToContactOverride:Boolean ShipVia:String Status:String TaxDetails:[TaxDetail] TaxTotal:Decimal
        Totals:Totals VATExemptTotal:Decimal VATTaxableTotal:Decimal ExternalOrderOriginal:Boolean
        ExternalRefundRef:String WillCall:Boolean PaymentRef:String NoteID:Guid UsrExternalOrderOriginal:Boolean
        ExternalOrderOrigin:String ExternalOrderSource:String TaxCalcMode:String CreatedDate:DateTime
        DisableAutomaticTaxCalculation:Boolean
    """),
    "SalesOrderDetail": _fields("""
        Account:String Allocations:[SalesOrderDetailAllocation] AlternateID:String Amount:Decimal
        AutoCreateIssue:Boolean AverageCost:Decimal Branch:String CalculateDiscountsOnImport:Boolean
        Commissionable:Boolean Completed:Boolean CostCode:String CustomerOrderNbr:String DiscountAmount:Decimal
        DiscountCode:String DiscountedUnitPrice:Decimal DiscountPercent:Decimal ExtendedPrice:Decimal
        FreeItem:Boolean InventoryID:String InvoiceLineNbr:Int InvoiceNbr:String InvoiceType:String
        LastModifiedDate:String LineDescription:String LineNbr:Int LineType:String Location:String
        ManualDiscount:Boolean MarkForPO:Boolean OpenQty:Decimal Operation:String OrderQty:Decimal
        OvershipThreshold:Decimal POSource:String ProjectTask:String PurchaseWarehouse:String
        PurchasingDetails:[PurchasingDetail] VendorID:String QtyOnShipments:Decimal ReasonCode:String
        RequestedOn:DateTime SalespersonID:String SchedOrderDate:DateTime ShipOn:DateTime ShippingRule:String
        ShipToLocation:String Subitem:String TaxCategory:String TaxZone:String UnbilledAmount:Decimal
        UndershipThreshold:Decimal UnitCost:Decimal UnitPrice:Decimal UOM:String WarehouseID:String
        AssociatedOrderLineNbr:Int GiftMessage:String ManualPrice:Boolean LotSerialNbr:String NoteID:Guid
        ExternalRef:String
    """),
    "SalesOrderShipment": _fields("""
        InventoryDocType:String InventoryRefNbr:String InvoiceNbr:String InvoiceType:String
        ShipmentDate:DateTime ShipmentNbr:String ShipmentType:String ShippedQty:Decimal ShippedVolume:Decimal
        ShippedWeight:Decimal Status:String InventoryNoteID:Guid LastModifiedDateTime:DateTime OrderNoteID:Guid
        ShippingNoteID:Guid
    """),
    "ShippingSettings": _fields("""
        CancelByDate:DateTime Canceled:Boolean FOBPoint:String GroundCollect:Boolean Insurance:Boolean
        PreferredWarehouseID:String Priority:Short ResidentialDelivery:Boolean SaturdayDelivery:Boolean
        ScheduledShipmentDate:DateTime ShippingRule:String ShippingTerms:String ShippingZone:String
        ShipSeparately:Boolean ShipVia:String ShopForRates:ShopForRates UseCustomersAccount:Boolean
        FreightPrice:Decimal FreightCost:Decimal FreightCostIsuptodate:Boolean FreightTaxCategory:String
        OrderVolume:Decimal OrderWeight:Decimal OverrideFreightPrice:Boolean PackageWeight:Decimal
        PremiumFreight:Decimal
    """),
    "Address": _fields("""
        AddressLine1:String AddressLine2:String City:String Country:String PostalCode:String State:String
        Validated:Boolean
    """),
    "DocContact": _fields("""
        Attention:String BusinessName:String Email:String Phone1:String
    """),
    "Shipment": _fields("""
        BaseCurrencyID:String ControlQty:Decimal CreatedDateTime:DateTime CurrencyRate:Decimal
        CurrencyRateTypeID:String CurrencyViewState:Boolean CustomerID:String
        CreateNewShipmentForEveryOrder:Boolean Details:[ShipmentDetail] Description:String
        EffectiveDate:DateTime FOBPoint:String OverrideFreightPrice:Boolean FreightPrice:Decimal
        FreightCost:Decimal FreightCurrencyID:String GroundCollect:Boolean Hold:Boolean Insurance:Boolean
        LastModifiedDateTime:DateTime LocationID:String Operation:String Orders:[ShipmentOrderDetail]
        Owner:String PackageCount:Int Packages:[ShipmentPackage] PackageWeight:Decimal Picked:Boolean
        ReciprocalRate:Decimal ResidentialDelivery:Boolean SaturdayDelivery:Boolean ShipmentDate:DateTime
        ShipmentNbr:String ShippedQty:Decimal ShippedVolume:Decimal ShippedWeight:Decimal
        ShippingSettings:ShipToSettings ShippingTerms:String ShippingZoneID:String ShipVia:String Status:String
        ToWarehouseID:String Type:String UseCustomersAccount:Boolean WarehouseID:String WorkgroupID:String
        NoteID:Guid
    """),
    "ShipmentDetail": _fields("""
        Allocations:[ShipmentDetailAllocation] Description:String ExpirationDate:DateTime FreeItem:Boolean
        InventoryID:String LineNbr:Int LocationID:String LotSerialNbr:String OpenQty:Decimal OrderedQty:Decimal
        OrderLineNbr:Int OrderNbr:String OrderType:String OriginalQty:Decimal ReasonCode:String
        ShippedQty:Decimal Subitem:String UOM:String WarehouseID:String
    """),
    "ShipmentPackage": _fields("""
        BoxID:String CODAmount:Decimal Confirmed:Boolean CustomRefNbr1:String CustomRefNbr2:String
        DeclaredValue:Decimal Description:String TrackingNbr:String Type:String UOM:String Weight:Decimal
        Length:Decimal Width:Decimal Height:Decimal PackageContents:[ShipmentPackageDetail] LineNbr:Int
        NoteID:Guid
    """),
    "ShipmentOrderDetail": _fields("""
        InventoryDocType:String InventoryRefNbr:String InvoiceNbr:String InvoiceType:String OrderNbr:String
        OrderType:String ShipmentNbr:String ShipmentType:String ShippedQty:Decimal ShippedVolume:Decimal
        ShippedWeight:Decimal OrderNoteID:Guid
    """),
    "ShipToSettings": _fields("""
        ShipToAddress:Address ShipToAddressOverride:Boolean ShipToContact:DocContact
        ShipToContactOverride:Boolean Validated:Boolean
    """),
}
TOP_LEVEL = ("SalesOrder", "Shipment")


def kind(type_name: str) -> str:
    """`value`, `detail` (a list of rows) or `linked` (one nested entity)."""
    if type_name in SCALARS:
        return "value"
    return "detail" if type_name.startswith("[") else "linked"


def target(type_name: str) -> str:
    """The entity a detail or linked field holds: `[ShipmentPackage]` -> `ShipmentPackage`."""
    return type_name.strip("[]")
