"""What the HTTP layer holds on to: settings, clock, database and the services."""

from __future__ import annotations

from dataclasses import dataclass

from didstore.clock import Clock
from didstore.config import Settings
from didstore.db.engine import Database
from didstore.services.accounts import AccountService, OperatorTokens
from didstore.services.applications import ApplicationService
from didstore.services.calls import CallActivity
from didstore.services.inventory import InventoryService
from didstore.services.numbers import NumberService
from didstore.services.owned_list import AsyncOwnedList
from didstore.services.partner import PartnerService
from didstore.services.reports import ReportService
from didstore.services.route_lookup import AsyncRouteLookup
from didstore.services.routing import RoutingService
from didstore.services.subaccount_moves import SubaccountMoves
from didstore.services.trunks import TrunkService
from didstore.services.wallet import WalletService


@dataclass
class AppState:
    settings: Settings
    clock: Clock
    db: Database
    accounts: AccountService
    operator: OperatorTokens
    wallet: WalletService
    inventory: InventoryService
    numbers: NumberService
    partner: PartnerService
    reports: ReportService
    trunks: TrunkService
    applications: ApplicationService
    routing: RoutingService
    moves: SubaccountMoves
    calls: CallActivity
    route_lookup: AsyncRouteLookup
    owned_list: AsyncOwnedList

    @classmethod
    def build(cls, settings: Settings, clock: Clock, db: Database) -> AppState:
        return cls(
            settings=settings,
            clock=clock,
            db=db,
            accounts=AccountService(db, clock),
            operator=OperatorTokens(db, clock, settings.admin_token),
            wallet=WalletService(db, clock),
            inventory=InventoryService(db, clock),
            numbers=NumberService(db, clock),
            partner=PartnerService(db, clock, AccountService(db, clock)),
            reports=ReportService(db, clock),
            trunks=TrunkService(db, clock),
            applications=ApplicationService(db, clock),
            routing=RoutingService(db, clock, ApplicationService(db, clock)),
            moves=SubaccountMoves(db, clock),
            calls=CallActivity(db, clock),
            route_lookup=AsyncRouteLookup(db.engine, clock),
            owned_list=AsyncOwnedList(db.engine, clock),
        )
