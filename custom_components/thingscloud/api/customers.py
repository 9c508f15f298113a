"""The endpoints of a project's customers and administrator, part of ``ThingsCloudClient``."""

from collections.abc import Mapping

from .accounts import Admin, CreatedResource, Customer, CustomerRole
from .const import (
    PATH_ADMIN,
    PATH_CUSTOMER,
    PATH_CUSTOMER_AUTH,
    PATH_CUSTOMER_CREATE,
    PATH_CUSTOMER_DEVICES,
    PATH_CUSTOMER_INFO,
    PATH_CUSTOMER_PASSWORD,
    PATH_CUSTOMER_ROLES,
    PATH_CUSTOMER_TAGS,
    PATH_CUSTOMERS,
)
from .errors import ThingsCloudApiError
from .models import Device, DevicePage
from .paging import walk_device_pages
from .params import (
    api_path,
    changes,
    check_int,
    check_mapping,
    check_nonempty_str,
    encode_path_segment,
    given,
)
from .parsing import JsonObject, parse_items
from .transport import QueryValue, Transport, parse_single


class CustomerEndpoints:
    """Customers (the users of a project) and the administrator the token belongs to."""

    def __init__(self, transport: Transport) -> None:
        """Send the requests through ``transport``."""
        self._transport = transport
        self._request = transport.request

    # --- customers ---------------------------------------------------------------

    async def get_customers(self) -> list[Customer]:
        """Return the customers of the project."""
        return parse_items(Customer.from_api, await self._request("GET", PATH_CUSTOMERS))

    async def get_customer_roles(self) -> list[CustomerRole]:
        """Return the customer roles of the project."""
        return parse_items(CustomerRole.from_api, await self._request("GET", PATH_CUSTOMER_ROLES))

    async def get_customer(self, customer_id: str) -> Customer:
        """Return one customer."""
        info = await self._request("GET", api_path(PATH_CUSTOMER, customer_id=customer_id))
        return parse_single(Customer.from_api, info, "customer")

    async def get_customer_devices_page(self, customer_id: str, page: int = 1) -> DevicePage:
        """Return one page of a customer's devices."""
        path = api_path(PATH_CUSTOMER_DEVICES, customer_id=customer_id)
        query: dict[str, QueryValue] = {"page": check_int(page, "page", 1)}
        return DevicePage.from_api(await self._request("GET", path, query=query), page=page)

    async def get_all_customer_devices(self, customer_id: str) -> list[Device]:
        """Return every device of a customer (walking all pages)."""
        encode_path_segment(customer_id, "customer_id")

        async def fetch(page: int) -> DevicePage:
            return await self.get_customer_devices_page(customer_id, page)

        return await walk_device_pages(fetch)

    async def create_customer(
        self,
        name: str,
        account: str,
        password: str,
        *,
        descr: str | None = None,
        email: str | None = None,
        mobile: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> CreatedResource:
        """Create a customer and return its id and name."""
        body = given(
            name=check_nonempty_str(name, "name"),
            account=check_nonempty_str(account, "account"),
            password=check_nonempty_str(password, "password"),
            descr=descr,
            email=email,
            mobile=mobile,
            tags=None if tags is None else dict(tags),
        )
        info = await self._request("POST", PATH_CUSTOMER_CREATE, body=body)
        return parse_single(CreatedResource.from_api, info, "customer id")

    async def update_customer_info(
        self,
        customer_id: str,
        *,
        name: str | None = None,
        descr: str | None = None,
        email: str | None = None,
        mobile: str | None = None,
    ) -> None:
        """Change a customer's name, description, email or mobile (at least one)."""
        path = api_path(PATH_CUSTOMER_INFO, customer_id=customer_id)
        body = changes(name=name, descr=descr, email=email, mobile=mobile)
        await self._request("PUT", path, body=body)

    async def update_customer_password(self, customer_id: str, password: str) -> None:
        """Change a customer's password."""
        path = api_path(PATH_CUSTOMER_PASSWORD, customer_id=customer_id)
        body: JsonObject = {"password": check_nonempty_str(password, "password")}
        await self._request("PUT", path, body=body)

    async def update_customer_tags(self, customer_id: str, tags: Mapping[str, str]) -> None:
        """Add or change tags of a customer."""
        path = api_path(PATH_CUSTOMER_TAGS, customer_id=customer_id)
        await self._request("PUT", path, body={"tags": check_mapping(tags, "tags")})

    async def delete_customer(self, customer_id: str) -> None:
        """Remove a customer."""
        await self._request("DELETE", api_path(PATH_CUSTOMER, customer_id=customer_id))

    async def customer_auth(self, account: str, password: str) -> CreatedResource:
        """Check a customer's account and password; ``ThingsCloudApiError`` if wrong.

        A ``result: false`` here is about the customer's password, whatever its
        errcode, so it never counts as a rejected access token.
        """
        body: JsonObject = {
            "account": check_nonempty_str(account, "account"),
            "password": check_nonempty_str(password, "password"),
        }
        info = await self._request("POST", PATH_CUSTOMER_AUTH, body=body, token_errcodes=False)
        return parse_single(CreatedResource.from_api, info, "customer id")

    # --- administrator -----------------------------------------------------------

    async def get_admin(self) -> Admin:
        """Return the administrator the token belongs to (administrator login only)."""
        info = await self._request("GET", PATH_ADMIN)
        if not isinstance(info, dict):
            raise ThingsCloudApiError("The answer has no usable administrator")
        return Admin.from_api(info)
