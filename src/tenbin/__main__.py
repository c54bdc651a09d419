from tenbin.cli import main

main()
