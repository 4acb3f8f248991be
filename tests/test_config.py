"""Fast mode: one switch, on automatically without a GPU and while grading."""

import pytest
import torch

from course import config


@pytest.fixture
def env(monkeypatch):
    monkeypatch.delenv("COURSE_FAST", raising=False)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    return monkeypatch


@pytest.mark.parametrize("value, expected", [("1", True), ("yes", True), ("0", False), ("off", False)])
def test_the_switch_forces_fast_mode(env, value, expected):
    env.setenv("COURSE_FAST", value)
    assert config.fast_mode() is expected
    assert config.scaled(full=1000, fast=10) == (10 if expected else 1000)


def test_unset_it_follows_the_gpu(env):
    env.setattr(torch.cuda, "is_available", lambda: False)
    assert config.fast_mode() is True
    env.setattr(torch.cuda, "is_available", lambda: True)
    assert config.fast_mode() is False
    assert config.device().type == "cuda"


def test_grading_is_always_fast_even_on_a_gpu_with_fast_mode_off(env):
    env.setattr(torch.cuda, "is_available", lambda: True)
    env.setenv("COURSE_FAST", "0")
    env.setenv("NBGRADER_EXECUTION", "autograde")
    assert config.fast_mode() is True


@pytest.mark.parametrize("variable, value", [("NBGRADER_EXECUTION", "autograde"), ("COURSE_CHECK_RUNNING", "1")])
def test_graded_is_the_size_while_grading_or_checking_and_only_when_given(env, variable, value):
    env.setenv("COURSE_FAST", "1")
    assert config.scaled(full=30, fast=10, graded=1) == 10
    env.setenv(variable, value)
    assert config.scaled(full=30, fast=10, graded=1) == 1
    assert config.scaled(full=30, fast=10, graded=None) is None   # None is a value, not "not given"
    assert config.scaled(full=30, fast=10) == 10


def test_smoke_is_fast_mode_with_the_graded_size_and_no_grading(env):
    env.setattr(torch.cuda, "is_available", lambda: True)
    env.setenv("COURSE_FAST", " Smoke ")
    assert config.fast_mode() is True
    assert config.grading() is False   # the visible tests' guard and the check cell behave as for a student
    assert config.scaled(full=30, fast=10, graded=1) == 1
    assert config.scaled(full=30, fast=10) == 10


def test_a_typo_in_the_switch_is_an_error_not_a_silent_default(env):
    env.setenv("COURSE_FAST", "fats")
    with pytest.raises(ValueError, match=r"COURSE_FAST must be one of .* got 'fats'"):
        config.fast_mode()


def test_device_is_the_cpu_without_cuda(env):
    env.setattr(torch.cuda, "is_available", lambda: False)
    assert config.device() == torch.device("cpu")
