"""``python -m assistant.evaluation``: the same as ``assistant eval``."""

from .command import eval_command

if __name__ == "__main__":
    eval_command(prog_name="assistant eval")
