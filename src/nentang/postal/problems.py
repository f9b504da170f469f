"""Problem codes of the postal context (see kernel/errors/registry.py): each code a
service raises is registered here with its status, title, meaning and advice."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from nentang.kernel.errors.registry import register

INVALID_S10 = register(
    "invalid_s10",
    status=400,
    title=_("Invalid S10 item number"),
    meaning=_(
        "The item number is not 2 letters, 8 digits, a check digit and 2 letters, "
        "or its check digit is wrong (UPU S10)."
    ),
    advice=_("Copy the number printed under the barcode, e.g. EE473124829VN."),
)
SHIPMENT_NOT_FOUND = register(
    "shipment_not_found",
    status=404,
    title=_("Shipment not found"),
    meaning=_("No shipment you may see has this id or item number."),
    advice=_("Check the item number; merchants see only their own shipments."),
)
S10_EXHAUSTED = register(
    "s10_exhausted",
    status=409,
    title=_("No item number available"),
    meaning=_("Every serial of this service indicator was used in the last 12 months."),
    advice=_("Ask the operator to open another service indicator."),
)
CLIENT_ORDER_CODE_TAKEN = register(
    "client_order_code_taken",
    status=409,
    title=_("Client order code already used"),
    meaning=_("You already created a shipment with this client order code."),
    advice=_("Fetch that shipment instead, or use another order code."),
)
SHIPMENT_NOT_CANCELLABLE = register(
    "shipment_not_cancellable",
    status=409,
    title=_("The shipment can no longer be cancelled"),
    meaning=_("Only a shipment not yet handed to the post can be cancelled."),
    advice=_("Ask for a return to sender instead."),
)
ADDRESS_UNRESOLVED = register(
    "address_unresolved",
    status=422,
    title=_("Address not recognised"),
    meaning=_(
        "The ward or the province of an address could not be found, or several "
        "wards fit and none may be chosen silently."
    ),
    advice=_(
        "Give the ward code (ward_code) of one of the candidates listed, or correct "
        "the ward and province."
    ),
)
POSTAL_WORKER_REQUIRED = register(
    "postal_worker_required",
    status=403,
    title=_("Postal staff only"),
    meaning=_("Only an active postal worker of a post office or sorting centre may scan."),
    advice=_("Log in with your postal staff account."),
)
MERCHANT_REQUIRED = register(
    "merchant_required",
    status=403,
    title=_("Merchant API only"),
    meaning=_("This operation needs the access token of a merchant's API client."),
    advice=_("Get a token with the client_credentials grant and the scope “postal”."),
)
DELIVERY_NOT_ALLOWED = register(
    "delivery_not_allowed",
    status=409,
    title=_("The shipment cannot be delivered now"),
    meaning=_("It is already delivered, returned or cancelled, or not yet out for delivery."),
    advice=_("Check the shipment's status and events."),
)
OTP_INVALID = register(
    "delivery_code_invalid",
    status=422,
    title=_("Wrong delivery code"),
    meaning=_("The code does not match the one sent to the recipient, or it expired."),
    advice=_("Ask the recipient to read the latest SMS again, or send a new code."),
)
FACILITY_NOT_FOUND = register(
    "facility_not_found",
    status=404,
    title=_("Facility not found"),
    meaning=_("No active post office or sorting centre has this code."),
    advice=_("Use the facility code printed on your station."),
)
INVALID_CSV = register(
    "invalid_csv",
    status=400,
    title=_("Invalid CSV file"),
    meaning=_("The file is not UTF-8 CSV with a header row naming the expected columns."),
    advice=_("Export the sheet as CSV UTF-8 with the columns listed in the API guide."),
)
BATCH_TOO_LARGE = register(
    "batch_too_large",
    status=413,
    title=_("Too many items in one request"),
    meaning=_("A batch has a maximum number of items."),
    advice=_("Split the batch and send the parts one after the other."),
)
