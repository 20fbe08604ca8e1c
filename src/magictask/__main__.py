from magictask.cli import app

app(prog_name="magictask")
