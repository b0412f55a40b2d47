"""course.toml: a course's title, order and points, read by pdf, grade and autograder."""
from __future__ import annotations

import pytest

from derive.errors import SpecError
from derive.problem import course, library

from .test_library import write_spec


def _course(tmp_path, toml: str, **spec):
    folder = tmp_path / "course"
    write_spec(folder, **spec)
    (folder / "course.toml").write_text(toml, encoding="utf-8")
    library.configure([folder])
    return folder


def test_the_shipped_library_follows_the_catalogue_order():
    ids = course.ordered()
    assert ids[:3] == ["softmax-jacobian", "log-softmax-jacobian", "softmax-cross-entropy"]
    assert ids.index("two-layer-l2") < ids.index("relu-mlp") < ids.index("rnn-bptt")
    assert sorted(ids) == sorted(library.ids())


def test_a_course_folder_orders_its_own_and_shipped_problems_first(tmp_path):
    _course(tmp_path, 'title = "HW 3"\nsubtitle = "Due Friday"\norder = ["course-softmax", "tanh-derivative"]\n')
    assert course.ordered()[:3] == ["course-softmax", "tanh-derivative", "softmax-jacobian"]
    assert course.ordered(["softmax-jacobian", "course-softmax"]) == ["course-softmax", "softmax-jacobian"]
    now = course.current()
    assert (now.title, now.subtitle) == ("HW 3", "Due Friday")


@pytest.mark.parametrize("toml,words", [
    ('order = ["course-sofmax"]\n', "did you mean course-softmax?"),
    ('[points]\n"course-softmax/jakobian" = 3\n', "did you mean course-softmax/jacobian?"),
    ('titel = "x"\n', "unknown key 'titel'"),
    ('order = "course-softmax"\n', "order must be a list"),
    ('[points]\n"course-softmax" = -1\n', "non-negative"),
    ('title = \n', "course.toml"),
])
def test_a_course_file_with_a_fault_names_it(tmp_path, toml, words):
    _course(tmp_path, toml)
    with pytest.raises(SpecError) as caught:
        course.current()
    assert words in str(caught.value)
    assert "course.toml" in str(caught.value)


def test_points_of_a_part_its_problem_split_evenly_or_none(tmp_path):
    _course(tmp_path, '[points]\n"course-softmax" = 5\n"course-softmax/jacobian" = 3\n"tanh-derivative" = 2\n')
    now = course.current()
    parts = ("jacobian", "gradient")
    assert now.part_points("course-softmax", "jacobian", parts) == 3
    assert now.part_points("course-softmax", "gradient", parts) == 2
    assert now.part_points("tanh-derivative", "derivative", ("derivative",)) == 2
    assert now.part_points("softmax-jacobian", "jacobian", ("jacobian", "vjp")) is None
