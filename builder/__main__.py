from builder.command import main

main()
