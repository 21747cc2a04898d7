"""The rotation of the engine bench's turns (fast: no training, part of the default run)."""

from __future__ import annotations

from collections import Counter

from tests.bench.turns import rotation

ARMS = ["careful", "engine default", "engine minimal"]


def predecessors(order: list[str]) -> Counter:
    """(arm, the arm whose epoch ran just before it) for a cycle of turns in this order."""
    return Counter((order[k], order[k - 1]) for k in range(len(order)))


def test_each_arm_follows_each_other_arm_equally_often_over_two_rotations():
    for shift in range(6):
        seen = predecessors(rotation(ARMS, shift)) + predecessors(rotation(ARMS, shift + 1))
        assert seen == Counter({(a, b): 1 for a in ARMS for b in ARMS if a != b}), shift


def test_each_arm_goes_first_equally_often():
    assert Counter(rotation(ARMS, shift)[0] for shift in range(6)) == Counter({arm: 2 for arm in ARMS})
