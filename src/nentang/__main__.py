from nentang.config.cli import main

main()
