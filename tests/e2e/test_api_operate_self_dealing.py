"""No self-dealing over HTTP: the organiser M3's key, holding M1's `operate` power, does not commit M1's
quantity to M3's own campaign (PRC Civil Code art. 168). The refusal is problem+json
`attorney_self_dealing` (403), in Chinese with Accept-Language zh-CN, and stores nothing; M2's key holding
the same power commits for M1 to M3's campaign."""

from __future__ import annotations

from typing import Any

from alliance.access.roles import Role
from alliance.access.service import create_api_key
from alliance.core.clock import FrozenClock
from alliance.store.database import Store
from tests.e2e import test_api_operate_power as base
from tests.e2e.test_api_operate_power import API, grant, rows
from tests.support.http import problem

world = base.world  # members M1, M2, M3; campaign 1 organised by M3; keys of the coordinator, M1 and M2


def test_the_organisers_key_does_not_commit_for_the_member_it_represents(world: Any, store: Store,
                                                                         clock: FrozenClock) -> None:
    client, keys, m2_prefix = world
    m3 = create_api_key(store, role=Role.MEMBER_ADMIN, alliance="nb", member="M3", name="m3", created_by="t",
                        clock=clock)
    grant(client, keys, f"key:{m3.prefix}", "operate")
    grant(client, keys, f"key:{m2_prefix}", "operate")
    before = rows(store)
    body = problem(client.put(f"{API}/purchasing/campaigns/1/commitments/M1", json={"quantity": 40},
                              headers={"Authorization": f"Bearer {m3.key}", "Accept-Language": "zh-CN"}),
                   403, "attorney_self_dealing")
    assert "M3" in body["detail"] and "M1" in body["detail"] and "团购活动 1" in body["detail"], body
    assert "代理人不得代被代理成员与其自身所属成员交易" in body["detail"]
    assert rows(store) == before
    assert client.put(f"{API}/purchasing/campaigns/1/commitments/M1", json={"quantity": 40},
                      headers=keys["m2"]).status_code == 200  # M2 is not the other side
