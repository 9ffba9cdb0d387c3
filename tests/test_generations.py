"""Index generations on one Chroma (``store/generations.py``), on an embedded client: readers
follow the pointer, the generation before the active one is kept for readers still switching,
older ones (and a collection written before generations) are dropped."""

from __future__ import annotations

from assistant.store import generations
from assistant.store.chroma import open_folder, release_folders


def names(client) -> set[str]:
    return {c if isinstance(c, str) else c.name for c in client.list_collections()}


def test_the_pointer_moves_and_only_the_previous_generation_stays(tmp_path):
    client = open_folder(tmp_path)
    try:
        assert generations.active_name(client, "articles", retries=0) == "articles"  # no pointer yet
        client.create_collection("articles")  # written before generations

        made = []
        for _ in range(3):
            name = generations.new_name("articles")
            assert name not in made and name.startswith("articles.g")
            client.create_collection(name)
            generations.activate(client, "articles", name, retries=0)
            made.append(name)
            assert generations.active_name(client, "articles", retries=0) == name

        assert names(client) == {made[-2], made[-1], generations.pointer_name("articles")}
    finally:
        release_folders()

