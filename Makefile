# Convenience aliases for the README's two commands.
.PHONY: run test
run:
	python3.11 dev.py run
test:
	python3.11 dev.py test
